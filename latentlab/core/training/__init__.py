"""Training: the loop (a generator of events), the events themselves, devices, and
data-parallel training across processes."""
