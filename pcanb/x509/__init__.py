"""Pure X.509 layer: decode, name, build and check certificates, CSRs, chains and CRLs."""
