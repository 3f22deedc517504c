"""Query text <-> the query AST, as Express and qs read it: params -> qs -> read, and write back.

``params`` reads the text into positioned parameters (the one place that runs Lark), ``qs``
builds the nested structure qs builds, ``read`` turns that structure into the AST, ``write``
serializes an AST to canonical text and ``show`` renders one for tools and people.
"""
