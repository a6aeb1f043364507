"""Synthetic channels shaped like a real vendor's: partners, segments, coverage, supply."""

from selector.inputs.synth.generate import SyntheticChannel, generate_channel, write_scenario

__all__ = ["SyntheticChannel", "generate_channel", "write_scenario"]
