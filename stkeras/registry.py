"""`Registry`: the one kind of name registry behind ops, heads and tasks.

A registry holds named entries of one kind in registration order, refuses a
name twice, and answers an unknown name with a `ValueError` that names the
kind, the argument, the value received and the registered choices. Tests and
notebooks register inside `temporary()`, which undoes every registration made
in its block.
"""

import contextlib


class Registry:
    """Named entries of one kind, in registration order.

    Args:
        kind: what an entry is, singular (`"op"`), for error messages.
        plural: the plural of `kind` (default `kind + "s"`).

    Example:
    >>> colours = Registry("colour")
    >>> colours.register("red", (255, 0, 0))
    (255, 0, 0)
    >>> colours.get("red"), colours.names()
    ((255, 0, 0), ('red',))
    >>> with colours.temporary():
    ...     _ = colours.register("blue", (0, 0, 255))
    ...     colours.names()
    ('red', 'blue')
    >>> colours.names()
    ('red',)
    >>> colours.get("green", "fill")
    Traceback (most recent call last):
    ...
    ValueError: Unknown colour: 'green'. Available colours: 'red'. Received: fill='green'
    """

    def __init__(self, kind, plural=None):
        self.kind = kind
        self.plural = plural or f"{kind}s"
        self._entries = {}

    def register(self, name, entry):
        """Adds `entry` under `name` (a new, non-empty string); returns `entry`."""
        if not isinstance(name, str) or not name:
            raise ValueError(f"A {self.kind}'s name must be a non-empty string. Received: name={name!r}")
        if name in self._entries:
            raise ValueError(f"A {self.kind} named {name!r} is already registered.")
        self._entries[name] = entry
        return entry

    def get(self, name, argument=None):
        """The entry registered as `name`.

        Args:
            name: the name to look up.
            argument: the user's argument that carried `name`, for the error
                (default: the kind).

        Raises:
            ValueError: naming the kind, the argument, the value and the choices.
        """
        if isinstance(name, str) and name in self._entries:
            return self._entries[name]
        choices = ", ".join(map(repr, self._entries)) or "none"
        raise ValueError(f"Unknown {self.kind}: {name!r}. Available {self.plural}: {choices}. "
                         f"Received: {argument or self.kind}={name!r}")

    def names(self):
        """The registered names, in registration order."""
        return tuple(self._entries)

    def items(self):
        """`(name, entry)` pairs, in registration order."""
        return tuple(self._entries.items())

    def __contains__(self, name):
        return name in self._entries

    def __len__(self):
        return len(self._entries)

    @contextlib.contextmanager
    def temporary(self):
        """A block whose registrations are undone at its end (entries registered before it stay)."""
        saved = dict(self._entries)
        try:
            yield self
        finally:
            self._entries.clear()
            self._entries.update(saved)

    def __repr__(self):
        return f"Registry({self.kind!r}: {', '.join(self._entries)})"
