"""The data sets: their registry by name, the ``Split`` a split loads into, the built-in sets
(torchvision's layouts, the generated shapes), image folders, and streaming of splits too big
for memory."""
