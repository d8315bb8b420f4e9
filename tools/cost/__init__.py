"""``make cost``: what an environment costs a month, from its synthesized templates and a traffic profile."""
