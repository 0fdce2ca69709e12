"""Request and response bodies. Inputs forbid unknown fields; outputs expose only public fields."""
