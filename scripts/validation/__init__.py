"""chondrosim validation suite: target files, scenario runner, observables, report.

A target is one file configs/validation/<ID>_<name>.ini (see targets.py for its format).
validate.py runs the targets' scenarios through the engine's CLI and compares each
observable with its tolerance; calibrate.py reuses the same runner to fit model knobs.
"""
