"""The learned second opinion on intents: features, and the linear model trained from the corpus."""
