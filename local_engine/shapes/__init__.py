"""Wire shapes of the two protocols the engine speaks."""
