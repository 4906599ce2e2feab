"""The domain: Vietnamese text, validity of results, field extraction, reusable records,
API keys and the audit log. Built on ``sohoa.core`` only."""
