"""The offline kit: the console and the stand-in Slack. The product never imports it."""
