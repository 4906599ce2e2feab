"""The domain: Vietnamese text, validity of results, field extraction, reusable records,
API keys, people's accounts (``accounts/``), who calls (``principal``) and what their agency
reaches (``scope``), and the audit log. Built on ``sohoa.core`` only."""
