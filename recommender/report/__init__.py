"""Reports: the terminal (rich) and the files in the run directory, both from report.json."""
