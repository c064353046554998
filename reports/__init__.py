"""Facts → findings → pages: spikes, normalised shares, the narrative, SVG charts, HTML and Markdown. Imports `models` only."""
