"""Maps to 2-D and back: the table of methods, linear and nonlinear projections, their
inverses, and geometry and interpolation in code space."""
