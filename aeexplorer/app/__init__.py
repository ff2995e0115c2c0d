"""The app's logic without Streamlit: what the pages show (figures, scene, anomaly scores,
denoise pairs, comparisons) and the server's training jobs. Built on ``aeexplorer.core``;
imports neither streamlit nor ``aeexplorer.ui``."""
