"""Writing a karto.yaml for a user: from the live services (`import`) or from answers (`init`).

`yaml_text` renders a commented document, `live` reads what the services hold, `importer`
and `starter` decide what to declare, and `output` validates the text and writes it.
"""
