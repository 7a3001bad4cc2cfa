"""nn-playground's Streamlit app."""
