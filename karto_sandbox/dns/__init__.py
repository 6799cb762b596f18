"""The sandbox's DNS: a zone the tests fill and a resolver on loopback that answers from it."""
