package abuse

// MaxTrustedHops bounds trusted_hops.
const MaxTrustedHops = 16
