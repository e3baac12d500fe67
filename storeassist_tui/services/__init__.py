"""Work the app does for its screens in the background: polling the backend (`polling`,
`poller`) and watching for customers arriving (`arrivals`).

Services never import screens or the app: they post Textual messages (`messages`) to the screen
shown, and a screen or the app (messages bubble up to it) handles them. pyproject.toml's
import-linter contracts keep it that way.
"""
