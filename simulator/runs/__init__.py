"""Many runs: experiment files and designs, where runs execute (in process, a pool, Dask),
the runner that journals and resumes them, and the files they leave."""
