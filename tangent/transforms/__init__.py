"""Writing the derivative: template expansion, reverse mode (``reverse_ad``),
forward mode (``forward_ad``), assembling functions (``motion``),
checkpointed loops (``checkpoint``) and the optimization of generated code."""
