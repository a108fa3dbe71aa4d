/** The shops, their products and their customers, shared by the order and storefront simulations. */
import { createWeightedPicker, hashUnit, roundTo, type Random } from './random.ts'

export interface Product {
  productId: string
  category: string
  unitPrice: number
  unitCost: number
}

export interface Shop {
  shopId: string
  currency: string
  /** Relative share of orders and sessions. */
  traffic: number
  products: Product[]
  pickProduct(u: number): Product
  /** Country of a customer, derived from the id so nothing is stored per customer. */
  countryOf(customerId: string): string
  customers: CustomerPool
}

export interface CustomerPool {
  /** A customer for a new order: often a returning one, the more so the more they bought lately. */
  nextBuyer(random: Random): string
  /** A recent buyer, if any, without counting a purchase (a signed-in browsing session). */
  recentBuyer(random: Random): string | undefined
}

// [category, lowest price, highest price]
const categories: [string, number, number][] = [
  ['electronics', 15, 1200], ['books', 6, 45], ['apparel', 12, 180], ['home', 8, 350],
  ['beauty', 5, 90], ['toys', 7, 120], ['sports', 10, 400], ['grocery', 2, 40],
  ['garden', 6, 250], ['jewelry', 25, 900], ['pet', 4, 80], ['office', 3, 150],
]

const markets: Record<string, { countries: string[]; weights: number[] }> = {
  USD: { countries: ['US', 'CA', 'GB', 'AU', 'MX', 'DE'], weights: [72, 10, 6, 5, 4, 3] },
  EUR: { countries: ['DE', 'FR', 'NL', 'ES', 'IT', 'BE', 'AT', 'IE'], weights: [30, 22, 12, 11, 10, 6, 5, 4] },
}

const shopSpecs: { currency: string; traffic: number }[] = [
  { currency: 'USD', traffic: 30 },
  { currency: 'USD', traffic: 25 },
  { currency: 'EUR', traffic: 20 },
  { currency: 'USD', traffic: 15 },
  { currency: 'EUR', traffic: 10 },
]

const productsPerShop = 40
const categoriesPerShop = 8
const returningShare = 0.65
const recentBuyersKept = 5000

export function createShops(random: Random): Shop[] {
  return shopSpecs.map((spec, i) => {
    const shopNo = i + 1
    const products = createProducts(random, shopNo)
    // Popularity falls off Zipf-like with a product's rank; ranks are shuffled so ids don't reveal it.
    const ranks = random.shuffle(products.map((_, rank) => rank))
    const pickProduct = createWeightedPicker(ranks.map((rank) => 1 / (rank + 1) ** 0.9))
    const market = markets[spec.currency]
    const pickCountry = createWeightedPicker(market.weights)
    return {
      shopId: `shop-${shopNo}`,
      currency: spec.currency,
      traffic: spec.traffic,
      products,
      pickProduct: (u) => products[pickProduct(u)],
      countryOf: (customerId) => market.countries[pickCountry(hashUnit(customerId))],
      customers: createCustomerPool(shopNo),
    }
  })
}

function createProducts(random: Random, shopNo: number): Product[] {
  const chosen = random.shuffle(categories).slice(0, categoriesPerShop)
  const products: Product[] = []
  for (let n = 0; n < productsPerShop; n++) {
    const [category, low, high] = chosen[n % categoriesPerShop]
    const unitPrice = charmPrice(Math.exp(random.uniform(Math.log(low), Math.log(high))))
    const margin = random.uniform(0.25, 0.65)
    const unitCost = Math.min(roundTo(unitPrice * (1 - margin), 2), roundTo(unitPrice - 0.01, 2))
    products.push({ productId: `sku-${shopNo}-${String(n + 1).padStart(3, '0')}`, category, unitPrice, unitCost })
  }
  return products
}

/** 23.41 → 22.99, small prices → x.49 or x.99. */
function charmPrice(price: number): number {
  if (price < 5) return roundTo(Math.max(0.99, Math.floor(price * 2) / 2 - 0.01), 2)
  return roundTo(Math.floor(price) - 0.01, 2)
}

export function createCustomerPool(shopNo: number): CustomerPool {
  // A ring of recent purchases: drawing uniformly from it favours frequent buyers without a per-customer map.
  const recent: string[] = []
  let writeAt = 0
  let nextCustomerNo = 1
  const remember = (customerId: string) => {
    if (recent.length < recentBuyersKept) recent.push(customerId)
    else recent[writeAt++ % recentBuyersKept] = customerId
  }
  return {
    nextBuyer(random) {
      const customerId =
        recent.length > 0 && random.chance(returningShare)
          ? random.pick(recent)
          : `cust-${shopNo}-${nextCustomerNo++}`
      remember(customerId)
      return customerId
    },
    recentBuyer: (random) => (recent.length > 0 ? random.pick(recent) : undefined),
  }
}
