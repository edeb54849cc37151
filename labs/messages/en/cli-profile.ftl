# perflab profile (src/cli/profile.rs): the running shop's CPU profile.

profile-bad-seconds = --seconds must be between 1 and { $max }.
profile-no-shop = No shop is running on port { $port }; start one with perflab serve (or the TUI) or give its port with --port.
profile-unreachable = The shop on port { $port } does not answer on its control API ({ $error }); it may have stopped: start it again with perflab serve.
profile-refused = The shop refused the profile ({ $status }): { $body }
profile-no-samples = No sample was taken in { $seconds } s, so there is no flamegraph: the shop's CPU was idle. If there was traffic, the shop spent that time waiting (for the database, for instance: read the breakdown); if not, drive traffic while profiling (perflab bench, or the TUI's load).
profile-write-failed = Could not write { $path }: { $error }.
profile-written = Flamegraph in { $path } ({ $samples } samples in { $seconds } s). Open it in a browser: each box is a function, its width its CPU time.
profile-top-head = Functions with the most self time (the sample was in them, not in what they call):
