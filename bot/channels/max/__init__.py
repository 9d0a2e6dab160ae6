"""The MAX messenger (Bot API 0.0.32): a thin client, updates as core events, replies as MAX messages.

``api`` is the only module that speaks HTTP to MAX; ``types`` follows the official schema;
``events`` and ``render`` translate; ``polling`` and ``webhook`` receive updates; ``channel`` is
the channel itself (``run``: the registry's entry); ``checks`` is check-config's part. Importing
this package imports none of them.
"""
