"""The offline kit: the console, the stand-in Slack and the local services the tests and benchmarks run.

The console is `console` (the loop), `screen` (what the bot sent, shown), `render` (Block Kit as text),
`forms` (modals filled in) and `people` (ids from names). The product never imports it.
"""
