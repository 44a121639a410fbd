"""The wire: one module per protocol, each holding the request body it sends, how it sends it through
its SDK, how it reads a stream, and how its failures map to ``CallError``.

``compatible`` is the OpenAI-compatible protocol (the ``openai`` SDK), ``native`` DashScope's own
(the ``dashscope`` SDK). ``common`` has what both share: the optional parameters, the status and
transport failures in plain words; ``stream`` the one accumulator both streams fill. The entry point,
the targets and the retries are ``structured_output.clients``.
"""
