"""What is done with a trained model's codes: the model's operations (encode, decode, walk,
sample), nearest neighbours and the map's spatial index, where an image of one's own lands,
and the test-set metrics."""
