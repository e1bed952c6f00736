"""The registries of derivative rules (``registry``), derivatives declared once
(``declare``), functions without a derivative (``non_differentiable``), and the
policy that decides where a call's derivative comes from (``policy``)."""
