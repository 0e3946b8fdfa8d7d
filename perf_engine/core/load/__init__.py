"""Load tests: the rules that judge a run and the calibration a passing run gives."""
