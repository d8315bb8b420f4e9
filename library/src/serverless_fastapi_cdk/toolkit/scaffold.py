"""Placeholder replaced below."""

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("destination")


def run(arguments: argparse.Namespace) -> int:
    return 1
