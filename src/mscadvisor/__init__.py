"""mscadvisor: evidence-explained recommendations of MSC and MSC-exosome sources, routes and
preconditioning for aging-related diseases. Research decision support, not medical advice."""

__version__ = "0.1.0"
