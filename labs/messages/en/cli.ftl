# The command line (src/cli): list, show, hint, solution, reset, init, the
# workspace and progress, and the check errors a student can fix. $lab is a
# lab's id (1.3-cache-aside).

cli-no-such-lab = There is no lab `{ $lab }`; perflab list shows them.
cli-cwd-unreadable = Cannot read the current folder: { $error }.
cli-not-in-workspace = { $dir } is not inside a perflab workspace; make one with perflab init, then cd into it.

workspace-create-failed = Cannot create { $path }: { $error }. Check that the folder is writable and run perflab init again (files already there are kept).
workspace-not-one = { $dir } is not a perflab workspace; run perflab init there to make one.
workspace-marker-unreadable = The workspace marker { $path } is unreadable ({ $reason }); delete it and run perflab init in its folder again (your files are kept).
workspace-too-new = The workspace { $path } was made by a newer perflab (version { $found }; this one knows up to { $supported }); upgrade perflab to use it.

progress-unreadable = Cannot read the progress file { $path }: { $error }. Nothing was changed; check the file's permissions and run perflab again.
progress-too-new = The progress file { $path } was written by a newer perflab (version { $found }; this one reads up to { $supported }). It was left untouched; upgrade perflab to continue.
progress-backup-failed = The progress file { $path } is corrupt ({ $reason }) and could not be moved aside to { $backup }: { $error }. Nothing was changed; move the file away yourself (or make its folder writable) and run perflab again.
progress-save-failed = Could not save progress to { $path }: { $error }. The file still holds its last complete save; check that its folder exists and is writable and that the disk has space.
progress-recovered = Your progress file was corrupt ({ $cause }); it was moved to { $backup } and nothing was lost. Starting with empty progress.

list-block = Block { $block } — { $title } ({ $passed }/{ $labs })
list-here = ← here

show-edits = You edit: { $edits }. To begin from the lab's starting state: perflab reset { $lab }
show-checks = Checks:
show-check = { $id } ({ $kind }): { $target }
show-hints = Hints: perflab hint { $lab } ({ $count } in all)

hint-line = Hint { $number }/{ $total }: { $hint }
hint-none-left = No hints left. The solution: perflab solution { $lab }

solution-how-to-apply = To write it into your workspace: perflab solution { $lab } --apply
solution-all = The solutions of { $count } labs: { $labs }.
solution-all-how-to-apply = To write them all into your workspace, in this order: perflab solution --all --apply
solution-not-applied = Could not apply the solution: { $reason }.
solution-shop-toml-applied = shop.toml updated (the previous one is in { $backup }).
solution-shop-toml-unchanged = shop.toml already had the solution; it did not change.
solution-indexes-unwritten = Could not write indexes.sql: { $error }.
solution-indexes-applied = indexes.sql replaced (the previous one is in { $backup }).
solution-indexes-unchanged = indexes.sql already had the solution; it did not change.

reset-every-lab = every lab
reset-nothing-changed = Nothing changed.
reset-done = { $what }: starting state restored (your previous files are in { $backups }).
reset-done-unchanged = { $what }: your files were already in the starting state; nothing in them changed and the lab's progress is forgotten.
reset-unwritten = Cannot write the workspace: { $error }.
reset-needs-yes = perflab reset needs a confirmation and there is no terminal to ask on; pass --yes.
reset-confirm = Restore the starting state of { $what }? .bak copies are kept. [y/N]
reset-no-answer = Cannot read the answer: { $error }.

init-already = { $dir } is already a perflab workspace; nothing changed.
init-made = perflab workspace in { $dir }:
init-created = created { $file }
init-workflow-failed = cannot write { $file }: { $error }

run-interrupted = Interrupted: the shops and servers perflab started are stopped, and the progress measured so far is saved.
run-indexes-unreadable = Cannot read indexes.sql: { $error }.
