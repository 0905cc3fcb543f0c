"""The model: the scenario file format and its reading, the pure dynamics, the world's
state, the SimPy processes, the recorder, and one run from start to tables.

Nothing here knows of experiments, files of results or figures."""
