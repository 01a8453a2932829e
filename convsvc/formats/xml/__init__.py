"""The XML codec's parts: hardened parsing (`parse`), XML text writing (`write`), and the two mappings
(`natural`, `xpath`). The codec module the table of formats lists is convsvc/formats/xml_codec.py;
the mapping rules are documented in docs/xml-mapping.md.
"""
