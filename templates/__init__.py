"""The product's templates and the one Jinja environment that renders them all.

Loaded through the package, not a path beside the source, so an installed copy finds them too.
"""
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

# Names typed by people go into the HTML documents: autoescaped there, so "<b>" in a name is text.
# The help text is Slack mrkdwn, which its view escapes.
environment = Environment(loader=PackageLoader("templates", "."),
                          autoescape=select_autoescape(["html.j2"]),
                          undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
