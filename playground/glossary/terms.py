"""The words a student meets, each in one sentence a 15-year-old understands. One table: the
Glossary page lists it, and the pages' help texts read their words from it. No Streamlit here."""
from __future__ import annotations

TERMS: dict[str, str] = {
    "neuron": "A tiny calculator: it multiplies each of its inputs by a weight, adds them up with a bias, "
              "and passes the sum through its activation.",
    "weight": "A number on a connection that says how much one input counts for the neuron it feeds: big means "
              "it matters a lot, negative means it pushes the other way.",
    "bias": "A number a neuron adds to its sum before the activation; it shifts where the neuron switches on.",
    "activation": "The function a neuron applies to its sum, such as tanh or ReLU; without it, any stack of "
                  "layers could only draw straight lines.",
    "feature": "An input the network is given, such as X₁, or X₁² worked out from it.",
    "hidden layer": "A column of neurons between the inputs and the output; each builds a new feature out of the "
                    "ones before it.",
    "epoch": "One pass of training through every training example.",
    "batch size": "How many training examples the network looks at before it changes its weights once.",
    "loss": "One number that says how wrong the network's answers are: the smaller, the better.",
    "gradient": "For each weight, how much the loss would change if that weight grew a little: the slope of "
                "the loss along that weight.",
    "backpropagation": "How the gradients are worked out: starting at the output and going back layer by layer, "
                       "each layer's share passed on to the one before.",
    "gradient descent": "Training by moving every weight a small step against its gradient, so that the loss "
                        "goes down.",
    "learning rate": "How big the steps of gradient descent are: each weight moves by the learning rate times "
                     "its gradient.",
    "regularisation": "A penalty for large weights added to the loss: it keeps the network simpler, which often "
                      "helps it do better on data it has not seen.",
    "overfitting": "When a network learns its training examples so closely, noise and all, that it does worse "
                   "on new ones.",
    "training data": "The examples the network learns from.",
    "test data": "Examples kept apart and never trained on, to check how well the network does on data it has "
                 "not seen.",
    "validation data": "Examples held out of training to watch how it goes while training; a test set, if there "
                       "is one, is kept for the very end.",
    "accuracy": "The share of examples the network answers correctly.",
    "discretise": "Show the output as two colours only (above or below zero) instead of shades.",
    "softmax": "Turns the output neurons' sums into probabilities that add up to 1; the biggest one is the "
               "network's answer.",
}


def explain(term: str) -> str:
    """The term's one sentence (for a widget's help)."""
    return TERMS[term]
