"""Trees shared by every stage: source text to gast trees and back (``quoting``,
``shallow``), the annotations passes attach to nodes, names for generated
variables, building nodes (``create``), the bases of every pass
(``transformers``) and compiling generated source (``compile``)."""
