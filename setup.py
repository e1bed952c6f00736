"""Installs tangent; the metadata lives here so a plain `pip install -e .` works."""

from setuptools import find_packages, setup

setup(
    name='tangent',
    version='0.2.0',
    description='Source-to-source automatic differentiation for Python and NumPy',
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    packages=find_packages(include=['tangent', 'tangent.*']),
    python_requires='>=3.10',
    install_requires=['numpy>=1.24', 'gast>=0.6'],
    extras_require={
        'test': ['pytest>=7', 'autograd>=1.6', 'hypothesis>=6', 'ipython>=8'],
        'tf': ['tensorflow>=2.15'],
        'scipy': ['scipy>=1.11'],
        'torch': ['torch==2.13.0'],
        'jax': ['jax>=0.4.30'],
        'bench': ['autograd>=1.6', 'jax', 'jaxlib', 'torch==2.13.0'],
    },
    classifiers=[
        'Programming Language :: Python :: 3',
        'License :: OSI Approved :: Apache Software License',
    ],
)
