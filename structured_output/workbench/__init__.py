"""The schema workbench: a schema from an example, answers read while they stream, errors located in
the answer and the schema, retries on validation failure, and a run shared as a file or a link."""
