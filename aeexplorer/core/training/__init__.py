"""Training: the settings of one (config, command line, recipes, families), the loop and its
objective, the precision it runs in, and training on several processes."""
