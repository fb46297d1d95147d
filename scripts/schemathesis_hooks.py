"""schemathesis hooks for ebr (loaded by the resilience test via SCHEMATHESIS_HOOKS).

POST /api/v1/mbrs takes a TOML document (application/toml); schemathesis has
no TOML serializer, so generated bodies are sent as their text, like text/plain.
"""

import schemathesis

schemathesis.serializer.alias("application/toml", "text/plain")
