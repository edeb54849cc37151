# Acciones que el texto de un laboratorio nombra con {{acción}} (src/lab/actions.rs):
# -tui en la pantalla Laboratorio (teclas), -cli en `perflab show` (comandos).
# Cada una recibe $lab, el id corto del laboratorio (4.3). Frases que siguen
# a una coma o empiezan oración ({{Check}} pone la mayúscula).
lab-action-check-tui = pulsa `c`
lab-action-check-cli = ejecuta `perflab check { $lab }`
lab-action-dashboard-tui = abre el panel con `d`
lab-action-dashboard-cli = abre el panel de `perflab` (laboratorio { $lab }, tecla `d`)
lab-action-reset-tui = pulsa `r`
lab-action-reset-cli = ejecuta `perflab reset { $lab }`
lab-action-hint-tui = pulsa `h`
lab-action-hint-cli = ejecuta `perflab hint { $lab }`
lab-action-settings-tui = abre la pantalla Ajustes con `5`
lab-action-settings-cli = abre `shop.toml`
lab-action-solution-tui = pulsa `s`
lab-action-solution-cli = ejecuta `perflab solution { $lab }`
