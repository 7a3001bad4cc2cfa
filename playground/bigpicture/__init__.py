"""The big picture: more data against classical models, and why the network answered what it did."""
