//! The shop: the live e-commerce API the labs optimise.
