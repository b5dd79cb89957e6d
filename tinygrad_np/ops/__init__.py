"""The primitive ops: each a `Function` with its forward and backward side by side.

Everything else in tinygrad_np (mean, the losses, the layers) is composed from these, so it
needs no hand-written gradient. Broadcasting is undone in one place, the engine
(`xp.unbroadcast`): a rule returns its gradient at the broadcast shape.
"""
