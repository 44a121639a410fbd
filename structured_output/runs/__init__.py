"""The runs: ``service`` is the one road every page takes to a result (wait for the local engine, run,
name a killed engine, scrub the key, record in the history); ``history`` keeps the session's runs,
``compare`` sets one input side by side in several columns, ``batch`` runs many rows of a template."""
