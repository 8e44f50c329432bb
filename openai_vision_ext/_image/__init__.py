"""The image path: what an image is, reading it, preparing it, and the parts built from it.

``images`` (pure: sniffing, header parsers, image data URLs from a prefix, the MIME table, the
bomb limit, the animation check), ``gif`` (frame count) and ``strip`` (metadata walks) read
bytes only; ``sources`` reads paths and file objects, ``fetch`` downloads (opt-in),
``prepare`` resizes, converts and strips, ``originals`` remembers what preparation changed,
and ``parts`` builds the SDK's image parts. Pure modules never import the I/O ones. Nothing is
imported here, so importing one module loads only what it needs.
"""
