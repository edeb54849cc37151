# Actions a lab's text names with {{action}} (src/lab/actions.rs): -tui on
# the Lab screen (keys), -cli in `perflab show` (commands). Each is given
# $lab, the lab's short id (4.3). Phrases that follow a comma or start a
# sentence ({{Check}} capitalises).
lab-action-check-tui = press `c`
lab-action-check-cli = run `perflab check { $lab }`
lab-action-dashboard-tui = open the dashboard with `d`
lab-action-dashboard-cli = open `perflab`'s dashboard (lab { $lab }, key `d`)
lab-action-reset-tui = press `r`
lab-action-reset-cli = run `perflab reset { $lab }`
lab-action-hint-tui = press `h`
lab-action-hint-cli = run `perflab hint { $lab }`
lab-action-settings-tui = open the Settings screen with `5`
lab-action-settings-cli = open `shop.toml`
lab-action-solution-tui = press `s`
lab-action-solution-cli = run `perflab solution { $lab }`
