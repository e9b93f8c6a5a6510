"""ccsim: a contact-center queue and hold-time simulator."""
