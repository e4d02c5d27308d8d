"""medvox's exceptions: every failure of a read, write, op or pipeline raises one
of these, with the one-line message the command-line tool prints."""


class MedvoxError(Exception):
    """Any medvox failure."""


class FormatError(MedvoxError):
    """A file could not be read or written (missing, truncated, unsupported)."""


class ParameterError(MedvoxError, ValueError):
    """A parameter (or an input given to it) is wrong: NaN, out of range, wrong type."""


class GeometryError(MedvoxError, ValueError):
    """Spacing, origin or direction are not usable (zero/NaN spacing, singular direction)."""


class DeviceError(MedvoxError, RuntimeError):
    """The GPU is missing, or has no kernel for the op (use device="cpu" or "auto")."""


__all__ = ["MedvoxError", "FormatError", "ParameterError", "GeometryError", "DeviceError"]
