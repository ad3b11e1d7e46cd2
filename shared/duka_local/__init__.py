"""The local harness: the stack, the sandboxes, the simulator, the demo data and the `duka` CLI.

Never deployed. It may import the runtime package `duka`; the runtime never imports it.
"""
